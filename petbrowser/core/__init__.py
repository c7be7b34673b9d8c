"""petbrowser.core: the shared core manager module (no Qt, ever).

The CLI and the GUI both go through :class:`PetClassManager` and the small set
of functions re-exported here.
"""
