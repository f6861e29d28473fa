"""The one error family: problems a user can fix, each with its exit code.

`str()` of an error is shown to the user as is, on one line, by `cli.py`; messages
name the file, segment or setting at fault.
"""


class AudioError(Exception):
    """A problem the user can fix; str() is shown as is."""

    exit_code = 1


class IssueError(AudioError, ValueError):
    """An issue file that cannot be read or understood."""


class ConfigError(AudioError, ValueError):
    """Show settings (show.toml) that are invalid."""


class SegmentError(AudioError, LookupError):
    """A segment id that matches no segment, or several."""


class EngineError(AudioError, RuntimeError):
    """The speech engine or an audio tool failed or is missing."""

    exit_code = 3


class VoiceError(ConfigError, EngineError):
    """A `voice` setting the speech engine does not have: a settings problem, so exit 1."""

    exit_code = 1
