"""lmc-pipeline: linear mode connectivity experiments of arXiv:2312.09832."""
__version__ = "0.1.0"
