"""Node.js streams for Python: Readable, Writable, pipe(), pipeline(), finished().

Every rule that decides a number bpcopy prints (what write() returns, when 'drain'
fires, what readable_length counts) lives in this package and nowhere else. It runs on
the running asyncio loop and knows nothing of files, clocks, the command line or
diagnostics.
"""

from bpcopy.streams.errors import StreamError
from bpcopy.streams.events import EventEmitter
from bpcopy.streams.pipeline import finished, pipeline
from bpcopy.streams.readable import Readable
from bpcopy.streams.writable import Writable

__all__ = ["EventEmitter", "Readable", "StreamError", "Writable", "finished", "pipeline"]
