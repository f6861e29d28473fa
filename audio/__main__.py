"""`python -m audio` is the same program as `audio-edition`."""

from audio.cli import cli

if __name__ == "__main__":
    cli(prog_name="audio-edition")
