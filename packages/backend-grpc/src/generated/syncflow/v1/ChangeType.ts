// Original file: proto/syncflow.proto

export const ChangeType = {
  UPSERT: 'UPSERT',
  REMOVE: 'REMOVE',
  RENAME: 'RENAME',
} as const;

export type ChangeType =
  | 'UPSERT'
  | 0
  | 'REMOVE'
  | 1
  | 'RENAME'
  | 2

export type ChangeType__Output = typeof ChangeType[keyof typeof ChangeType]
