module hostform.test/gotime

go 1.21
