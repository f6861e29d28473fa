"""audio-edition: turn each issue of an e-mail newsletter into a chaptered podcast episode.

The pipeline's stages, one module each: parse, script, speech, stitch, chapters, feed;
`pipeline` runs them and `cli` is the command line.
"""

__version__ = "0.1.0"
