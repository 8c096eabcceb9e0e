"""The ten GTZAN genre labels, in GTZAN's (alphabetical) order: the one place they are listed."""

GENRES: tuple[str, ...] = (
    "blues",
    "classical",
    "country",
    "disco",
    "hiphop",
    "jazz",
    "metal",
    "pop",
    "reggae",
    "rock",
)
