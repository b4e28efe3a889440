"""The take-home code of /colour_transfer (filled in below)."""

from pages.takehome import TakeHome


def takehome(m) -> TakeHome:
    return TakeHome(title="Colour transfer", intro="", equation="", cells=("print(1)",))
