"""Sources: everything that turns outside data into SUNA's canonical tables.

``sample`` builds the embedded synthetic data, ``store`` reads and writes canonical tables on disk;
other modules read councils' extracts and published figures.
"""
