"""What a page has yet to write: pairs shown and votes cast, kept in order until the
database takes them, so a database that cannot be reached loses no vote."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from evaluation.arena.store import DatabaseUnavailable, ForgedVote, VoteStore
from evaluation.arena.votes import Pair


@dataclass(frozen=True)
class Cast:
    pair_id: str
    voter: str
    winner: str
    view: str


class Outbox:
    """Writes to send, oldest first; ``send`` stops at the first the database refuses to
    take for now and keeps it and what follows for the next try."""

    def __init__(self) -> None:
        self._waiting: list[Pair | Cast] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return sum(isinstance(item, Cast) for item in self._waiting)  # votes, not pairs

    def add(self, item: Pair | Cast) -> None:
        with self._lock:
            self._waiting.append(item)

    def send(self, connect: Callable[[], VoteStore]) -> list[str]:
        """Sends what waits through ``connect()``'s store. Returns the problems: the
        database's message (everything still waits) or votes refused for good."""
        refused = []
        with self._lock:
            while self._waiting:
                item = self._waiting[0]
                try:
                    store = connect()
                    if isinstance(item, Pair):
                        store.show(item)
                    else:
                        store.vote(item.pair_id, item.voter, item.winner, item.view)
                except DatabaseUnavailable as error:
                    return [*refused, str(error)]
                except ForgedVote as error:
                    refused.append(str(error))
                self._waiting.pop(0)
        return refused
