"""What a reader sees, built from protected figures: charts by kind, maps, sentences, sparklines,
the narrow form for a phone, and the display outputs notebooks and the app send.

Imports the layers below it (core to pipeline), never ``views``, ``batch`` or ``app``.
"""
