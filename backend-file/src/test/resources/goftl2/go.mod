module goftl2client

go 1.19
