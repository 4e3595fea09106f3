print("tenon")
