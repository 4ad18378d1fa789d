module hostform.test/gostd

go 1.21
