"""A note writer for the kill storm: saves notes singly and in batches, printing each acknowledged batch.

Run as: python writer.py DB CONVERSATION_ID SEED
"""

from __future__ import annotations

import random
import sys
import uuid

from assistant.conversation import Conversation
from assistant.store import open_store
from assistant.structure import load_structure


def main() -> None:
    db, conversation_id, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    rng = random.Random(seed)
    store = open_store(db)
    conversation = Conversation(store, load_structure(), conversation_id)
    while True:
        batch = str(uuid.uuid4())
        size = rng.choice((1, 1, 3, 5))
        ids = []
        with store.write():  # a batch is one transaction: all of it or none of it
            for index in range(size):
                saved = conversation.notes.add(f"batch {batch} {index + 1}/{size} " + "words " * rng.randint(1, 60),
                                              ["words"], section_id="overview")
                ids.append(saved.id)
        print("ACK " + ",".join(ids), flush=True)


if __name__ == "__main__":
    main()
