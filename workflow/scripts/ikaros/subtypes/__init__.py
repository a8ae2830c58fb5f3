"""Subtype assignment: the rule hierarchy (`rules`) and one subtype per patient (`assign`)."""
