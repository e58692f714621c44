"""Tests of the Gong API simulator: dataset, HTTP behaviour, faults and command line."""
