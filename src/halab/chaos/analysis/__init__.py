"""Analyses over journals: availability, the SPOF sweep, the witness cross-check, the bench."""
