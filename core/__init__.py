"""Genre Lab engine: datasets, spectrograms, splits, models, training, runs, prediction.

Nothing in this package imports Streamlit; everything the dashboard does can be done from
Python or from the command line (``python -m core --help``).
"""
