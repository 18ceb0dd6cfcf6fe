"""Developer scripts (generators, checks); run as `python -m scripts.<name>`; not shipped."""
