"""The Qt shell: widgets lay out and emit intent; services decide what happens."""
