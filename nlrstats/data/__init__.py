"""The data layer: data dictionary, mapping files, reading, validation, the :class:`Cohort`, markers, simulator.

Everything here works on patient rows and knows nothing of statistics; the bundled reconstruction of
Fukuda et al. (2020) and the example validation export live in ``bundled/`` as package data.
"""
