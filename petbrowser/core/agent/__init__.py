"""The agent: code that runs inside the *project's* interpreter.

Loaded by ``petbrowser.core.child`` under the private package name
``_petbrowser_agent`` (no petbrowser install needed there), so every module
here uses only relative imports, the standard library, and cloudpickle
(imported lazily, only to dump or rebuild a class).
"""
