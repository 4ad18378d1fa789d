module hostform.test/healthsrv

go 1.21
