"""Culture-aware contact: public holidays and name days per country and language, the grammatical form
of a first name in a greeting, and the form of address each language expects."""
