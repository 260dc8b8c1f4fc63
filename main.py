from source_bigcommerce.run import run

if __name__ == "__main__":
    run()
