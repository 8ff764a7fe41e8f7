"""The `ciess` command line, the demo, and the in-process warehouse build."""
