"""The test harness shared by every Python suite: server.py starts the binary (DEServer,
Session), client.py talks HTTP, ws.py WebSocket, helpers.py has the shared assertions and
fixtures.py the pytest fixtures (srv, server_factory, postgres_database)."""
