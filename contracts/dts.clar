(define-read-only (ping) u1)
