from paybot.cli.main import app

app()
