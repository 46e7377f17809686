"""One-time codes sent by SMS: the code rules (`codes`) and sending and checking them
(`service`). No Flask here: time, storage and the SMS gateway are arguments."""
