// Path filters (--include/--exclude globs, .syncflowignore). Filled by the filter work.
export {}
