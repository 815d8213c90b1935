// Placeholder: replaced by the S3 work (starts radosgw for the S3 tests).
export default function setup(): void {}
