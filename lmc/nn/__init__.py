"""The networks: the paper's architectures (`models`), their initialisation schemes
(`initialisation`), and several networks of one architecture run as one batched
computation (`stacked`). May import `lmc.util` and `lmc.data`."""
