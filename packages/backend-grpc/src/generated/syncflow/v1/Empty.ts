// Original file: proto/syncflow.proto


export interface Empty {
}

export interface Empty__Output {
}
