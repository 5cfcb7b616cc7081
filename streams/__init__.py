"""Redis streams: key names, codecs, producer, consumer-group workers, simulator."""
