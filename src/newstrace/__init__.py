"""newstrace: where did this Telegram post come from?"""

from newstrace.config import VERSION as __version__

__all__ = ["__version__"]
