#!/usr/bin/env python3
# tests/e2e/http200.py ADDR PORT: answers every HTTP request with
# "200 OK".  Not http.server: its bind looks the address up in DNS
# (socket.getfqdn), which in the emulated guest did not return within a
# minute; this one listens at once.
import socket
import sys
import threading


def serve(c):
    with c:
        c.settimeout(5)
        data = b""
        try:
            while b"\r\n\r\n" not in data and len(data) < 8192:
                d = c.recv(1024)
                if not d:
                    break
                data += d
            c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n"
                      b"Connection: close\r\n\r\nok\n")
        except OSError:
            pass


s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(16)
while True:
    conn, _ = s.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
