"""The ``twin`` command: thin wrappers that parse, call one library function, show progress and print."""
