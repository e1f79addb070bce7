raise SystemExit('todo')
