"""Test data of the bad-input suite: the case table and the small files it names."""
