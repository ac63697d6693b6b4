"""What a vote is: the pair shown (made before the vote, with its id) and the verdict."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field

import numpy as np

# As the public arenas write them; ties and "both bad" count half a win each way.
A_WINS, B_WINS, TIE, BOTH_BAD = "model_a", "model_b", "tie", "tie (bothbad)"
WINNERS = (A_WINS, B_WINS, TIE, BOTH_BAD)
VIEWS = ("Blur", "Cut-out", "Matte")


def photo_fingerprint(rgb: np.ndarray) -> str:
    """A hash of the decoded pixels (and their shape): the same picture in another file
    format or with other metadata has the same fingerprint."""
    assert rgb.dtype == np.uint8 and rgb.ndim == 3, (rgb.dtype, rgb.shape)
    digest = hashlib.sha256(repr(rgb.shape).encode())
    digest.update(np.ascontiguousarray(rgb).data)
    return digest.hexdigest()


def new_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Pair:
    """Two models' results on one photo as one voter sees them: ``model_a`` on the left.
    The view they are seen in is the vote's (the voter may switch views before voting).

    ``setup_a`` and ``setup_b`` hold everything that shaped each result (device, refiner,
    mask controls, strength), so votes under different settings can be told apart.
    """

    voter: str
    photo: str  # photo_fingerprint
    photo_set: str  # "upload", "sample" or "shared"
    model_a: str
    model_b: str
    setup_a: dict = field(default_factory=dict)
    setup_b: dict = field(default_factory=dict)
    app_version: str = ""
    id: str = field(default_factory=new_id)

    def __post_init__(self) -> None:
        assert self.model_a != self.model_b, "a model is never paired with itself"


@dataclass(frozen=True)
class Battle:
    """One counted vote, as the leaderboard and the exports read it."""

    pair_id: str
    model_a: str
    model_b: str
    winner: str
    voter: str
    tstamp: float  # seconds since the epoch, when the vote was cast
    view: str = "Blur"
    photo: str = ""
    photo_set: str = ""
    setup_a: dict = field(default_factory=dict)
    setup_b: dict = field(default_factory=dict)
    app_version: str = ""

    def __post_init__(self) -> None:
        assert self.winner in WINNERS, self.winner
