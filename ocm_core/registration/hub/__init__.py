"""Hub-side registration controllers, one concern each; `build_hub` wires them into a runtime
`Manager`."""
