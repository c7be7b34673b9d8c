"""The reliability and safety suite (issue #6): crashes, races, bad networks, bad input, hostile stores, secrets."""
