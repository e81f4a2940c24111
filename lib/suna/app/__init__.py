"""The district explorer as a service: the widgets a viewer uses, the drawings shared by every
viewer's kernel, the board pack offered for download, and the Voilà server's life cycle.
"""
