import { fileURLToPath } from 'node:url'
import type * as grpcJs from '@grpc/grpc-js'
import type { ProtoGrpcType } from '../generated/syncflow.js'

/** The protocol version of proto/syncflow.proto, exchanged in Hello. */
export const PROTOCOL_VERSION = 2

/** The loaded gRPC SDK and the service definition. */
export interface Protocol {
  readonly grpc: typeof grpcJs
  readonly proto: ProtoGrpcType
}

let loaded: Promise<Protocol> | undefined

/**
 * Imports @grpc/grpc-js and loads proto/syncflow.proto on first use (the CLI starts without them),
 * with the options the generated types in src/generated/ were made for (see `npm run generate`).
 */
export function loadProtocol(): Promise<Protocol> {
  loaded ??= (async () => {
    const [grpc, loader] = await Promise.all([import('@grpc/grpc-js'), import('@grpc/proto-loader')])
    // src/wire/ and dist/wire/ are both two levels below the package root.
    const file = fileURLToPath(new URL('../../proto/syncflow.proto', import.meta.url))
    const definition = await loader.load(file, { longs: Number, enums: String, defaults: true, oneofs: true })
    return { grpc, proto: grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType }
  })()
  return loaded
}
