// The backend conformance suite (`describeBackend`). Filled by the testkit work.
export {}
