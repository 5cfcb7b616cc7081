"""Redis streams: key names, codecs, producer, consumer-group workers and every background
loop (consumers, incident pump, outbox relay, SMS sender, alert expiry) with its supervision."""
