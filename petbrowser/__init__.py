"""petbrowser: a desktop version browser for LabChain's persistent class store."""

__version__ = "0.1.0"
