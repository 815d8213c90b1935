// Original file: proto/syncflow.proto

export const EntryKind = {
  FILE: 'FILE',
  DIR: 'DIR',
  SYMLINK: 'SYMLINK',
} as const;

export type EntryKind =
  | 'FILE'
  | 0
  | 'DIR'
  | 1
  | 'SYMLINK'
  | 2

export type EntryKind__Output = typeof EntryKind[keyof typeof EntryKind]
