// The rsync-style delta codec (rolling checksum, signatures, delta ops, patching). Filled by the gRPC/delta work.
export {}
