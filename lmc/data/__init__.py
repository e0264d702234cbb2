"""Datasets on disk: the registry of names, shapes and normalisations (`datasets`), the
download and offline import with their checks (`sources`, `tiny_imagenet`), FFCV `.beton`
files and the resident `Split` the jobs read (`beton`, `ffcv_writer`), and their decoded,
memory-mapped arrays (`arrays`). May import `lmc.util`."""
