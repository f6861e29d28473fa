"""`python -m audio` is the same program as `audio-edition`: both run `main`.

Keep this module light. multiprocessing imports the program's main module in every
worker process it starts, and `audio-edition` is a script that imports this one: were
the command line (click, the feed, the site) imported here, each worker would import it
again for every piece it renders.
"""


def main() -> None:
    """Run the command line (`audio.cli`)."""
    from audio.cli import cli

    cli(prog_name="audio-edition")


if __name__ == "__main__":
    main()
